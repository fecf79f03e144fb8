module "m" {
  count  = 11
  source = "./child"
}

module "n" {
  for_each = toset(["b", "a", "x\"y"])
  source   = "./child"
}

resource "terraform_data" "root" {
  count      = 11
  input      = module.m[count.index].v
  depends_on = [module.n, module.m]
}
