resource "terraform_data" "b" {
  input = "a"
}

moved {
  from = terraform_data.a
  to   = terraform_data.b
}

resource "terraform_data" "d" {
  for_each = toset(["x", "y"])
  input    = "c-${each.key}"
}

moved {
  from = terraform_data.c[0]
  to   = terraform_data.d["x"]
}

moved {
  from = terraform_data.c[1]
  to   = terraform_data.d["y"]
}

resource "terraform_data" "n" {
  count = 1
  input = "n"
}

resource "terraform_data" "k" {
  input = "k"
}

module "new" {
  source = "./modules/box"
  label  = "m"
}

moved {
  from = module.old
  to   = module.new
}
