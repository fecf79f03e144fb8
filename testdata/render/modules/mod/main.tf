variable "v" {
  type = string
}
resource "terraform_data" "inner" {
  input = var.v
}
output "out" {
  value = terraform_data.inner.output
}
