variable "x" {}

resource "terraform_data" "leaf" {
  input = var.x
}

output "v" { value = terraform_data.leaf.output }
