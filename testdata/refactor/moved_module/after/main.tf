module "b" {
  source = "./modules/m"
  count  = 2
}

moved {
  from = module.a
  to   = module.b
}
