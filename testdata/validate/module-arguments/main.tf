module "child" {
  source = "./child"
  name   = "x"
  extra  = 1
}
