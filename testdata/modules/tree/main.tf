variable "envs" {
  type    = list(string)
  default = ["dev", "prod"]
}

variable "regions" {
  type    = map(string)
  default = { a = "east", b = "west" }
}

module "net" {
  source  = "./modules/net"
  name    = "core"
  subnets = 2
}

module "app" {
  source   = "./modules/app"
  for_each = var.regions
  region   = each.value
  subnet   = module.net.subnet_ids[0]
}

module "counted" {
  source     = "./modules/leaf"
  count      = length(var.envs)
  label      = var.envs[count.index]
  depends_on = [module.net]
}

output "subnets" {
  value = module.net.subnet_ids
}

output "where" {
  value = module.net.where
}

output "apps" {
  value = { for k, m in module.app : k => m.label }
}

output "counted" {
  value = module.counted[*].label
}
