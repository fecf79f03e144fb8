variable "name" {}
variable "n" {
  type    = number
  default = 1
}
resource "terraform_data" "x" {
  input = var.name
}
output "out" {
  value = terraform_data.x.output
}
