module "a" {
  source = "./modules/m"
  count  = 2
}
