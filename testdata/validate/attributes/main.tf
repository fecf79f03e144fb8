resource "terraform_data" "x" {
  input = 1
}

resource "terraform_data" "web" {
  count = 2
}

resource "terraform_data" "y" {
  input = terraform_data.x.outptu
}

resource "terraform_data" "z" {
  input = terraform_data.web.output
}

locals {
  a = var.nope
  b = local.a
}

output "o" {
  value = local.b
}

output "p" {
  value = terraform_data.x.id
}
