variable "names" {
  type    = list(string)
  default = ["a", "b"]
}

locals {
  upper = [for n in var.names : upper(n)]
}

resource "terraform_data" "each" {
  count = length(var.names)
  input = local.upper[count.index]
}

output "ids" {
  value = terraform_data.each[*].id
}
