resource "terraform_data" "one" {
  input = 1
}

module "g" {
  source = "./grand"
  x      = terraform_data.one.output
}

output "v" { value = module.g.v }
