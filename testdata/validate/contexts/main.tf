resource "terraform_data" "a" {
  input = self.id
}

resource "terraform_data" "b" {
  for_each = toset(["x"])
  input    = count.index
}

resource "terraform_data" "c" {
  count = 2
  input = each.value
}

resource "terraform_data" "d" {
  count = length(terraform_data.b)
  input = terraform_data.c[count.index].output
}

output "o" {
  value = each.key
}

locals {
  l = path.nope
}

output "p" {
  value = terraform_data.d
}
