variable "known" {
  default = 1
}

locals {
  a = var.unknown
  b = local.missing + var.known
}

resource "terraform_data" "x" {
  input = terraform_data.missing.output
}

output "o" {
  value = data.terraform_remote_state.nope.outputs
}

output "p" {
  value = module.nope.out
}
