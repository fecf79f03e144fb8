resource "terraform_data" "x" {}
module "child" {
  source = "./child"
  name = terraform_data.x.id
}
resource "terraform_data" "r" {
  input = module.child.id
}
resource "terraform_data" "s" {
  input = module.child.other
}
resource "terraform_data" "t" {
  input = [terraform_data.r.id, module.child.id]
}
