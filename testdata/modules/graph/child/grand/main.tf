variable "v" {}
resource "terraform_data" "g" {
  input = var.v
}
output "out" { value = terraform_data.g.id }
