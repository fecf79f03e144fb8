resource "terraform_data" "a" {
  count = "two"
}

resource "terraform_data" "b" {
  for_each = 5
}

resource "terraform_data" "c" {
  count = -1
}

resource "terraform_data" "d" {
  count = 1.5
}

resource "terraform_data" "f" {
  input = each.key
}

resource "terraform_data" "g" {
  input = count.index
}
