resource "terraform_data" "a" {
  inptu = "typo"
}

variable "v" {
  type = lisst(string)
}

resource "terraform_data" "a" {
}

resource "terraform_data" "b" {
  count    = 1
  for_each = {}
}
