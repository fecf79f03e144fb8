module "m" {
  source = "./mod"
  v      = "two"
}
output "from_module" {
  value = module.m.out
}
