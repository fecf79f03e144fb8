variable "a" {
  description = var.x
  sensitive   = "true"
  nullable    = upper("x")
}

variable "b" {
  description = <<-EOT
    A heredoc
    description.
  EOT
  sensitive   = 1
}

variable "c" {
  description = "${var.x}"
}

output "o" {
  value     = 1
  sensitive = local.s
}

resource "terraform_data" "r" {
  lifecycle {
    create_before_destroy = var.cbd
    prevent_destroy       = "false"
  }
}

terraform {
  required_version = var.v
}

provider "aws" {
  alias   = "not valid"
  version = "~> 1.0"
}

variable "eph" {
  type      = string
  ephemeral = true
}

terraform {
  provider_meta "aws" {
    user_agent = ["x"]
  }
}
