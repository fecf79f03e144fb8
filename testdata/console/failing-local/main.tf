# A local that fails: terraform fails it on its own, so `try` and `can` around a reference to it
# do not fall back.
variable "containers" {
  type    = map(string)
  default = {}
}

locals {
  service = lookup(var.containers, "service")
  port    = try(local.service, "8080")
  checked = can(local.service)
}
