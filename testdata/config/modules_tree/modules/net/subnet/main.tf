variable "name" {}

resource "terraform_data" "subnet" {
  input = "${path.module}/${var.name}"
}

output "id" {
  value = terraform_data.subnet.id
}
