variable "cidr" {
  type = string
}

variable "names" {
  type    = list(string)
  default = []
}

module "subnet" {
  source = "./subnet"
  count  = length(var.names)
  name   = var.names[count.index]
}

output "subnet_ids" {
  value = module.subnet[*].id
}
