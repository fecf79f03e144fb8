variable "name" {}
resource "terraform_data" "a" {
  input = var.name
}
resource "terraform_data" "b" {
  input = terraform_data.a.id
}
resource "terraform_data" "c" {}
module "grand" {
  source = "./grand"
  v = terraform_data.c.id
}
output "id" { value = terraform_data.b.id }
output "other" { value = module.grand.out }
