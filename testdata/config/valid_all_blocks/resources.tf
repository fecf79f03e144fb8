locals {
  prefix = "${var.name}-x"
}

locals {
  tags = { Name = local.prefix }
}

resource "random_id" "a" {
  byte_length = 4
}

resource "aws_instance" "web" {
  count         = 2
  provider      = aws.west
  ami           = "ami-123"
  instance_type = "t3.micro"
  tags          = local.tags
  depends_on    = [random_id.a, data.local_file.cfg]

  ebs_block_device {
    device_name = "/dev/sdb"
  }

  provisioner "local-exec" {
    command = "echo hi"
  }

  lifecycle {
    create_before_destroy = true
    ignore_changes        = [tags["Name"], ami]
  }
}

data "local_file" "cfg" {
  for_each = toset(["a", "b"])
  filename = "${path.module}/${each.key}.txt"
}

output "ids" {
  value       = aws_instance.web[*].id
  description = "Instance ids"
  sensitive   = false
  depends_on  = [random_id.a]
  precondition {
    condition     = length(aws_instance.web) > 0
    error_message = "No instances."
  }
}
