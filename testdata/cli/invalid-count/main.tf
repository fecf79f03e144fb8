resource "random_integer" "n" {
  min = 1
  max = 3
}

resource "terraform_data" "x" {
  count = random_integer.n.result
}
