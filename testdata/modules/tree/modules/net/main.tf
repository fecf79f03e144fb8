variable "name" {
  type = string
}

variable "subnets" {
  type    = number
  default = 1
}

resource "terraform_data" "vpc" {
  input = var.name
}

module "subnet" {
  source = "../leaf"
  count  = var.subnets
  label  = "${terraform_data.vpc.output}-${count.index}"
}

output "subnet_ids" {
  value = module.subnet[*].id
}

output "where" {
  value = path.module
}
