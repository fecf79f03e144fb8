resource "terraform_data" "a" {
  count    = 2
  for_each = toset(["a"])
}

data "local_file" "b" {
  count    = 1
  for_each = {}
  filename = "x"
}

resource "terraform_data" "ok" {
  count = var.n
}
