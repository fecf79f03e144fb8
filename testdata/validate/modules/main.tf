module "child" {
  source = "./child"
  name   = "x"
}

module "missing" {
  source = "./child"
  name   = "m"
}

module "counted" {
  source = "./child"
  count  = 2
  name   = "c${count.index}"
}

output "from_child" {
  value = module.child.id
}
