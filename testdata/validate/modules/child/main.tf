variable "name" {
  type = string
}

resource "terraform_data" "a" {
  input = var.nmae
}

resource "terraform_data" "b" {
  input  = local.undefined
  outputt = 1
}

module "grand" {
  source = "./grand"
  value  = terraform_data.a.output
}

output "id" {
  value = terraform_data.a.id
}
