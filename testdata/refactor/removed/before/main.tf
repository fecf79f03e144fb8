resource "terraform_data" "keep" {
  input = "keep"
}

resource "terraform_data" "forget" {
  for_each = toset(["p", "q"])
  input    = each.key
}

resource "terraform_data" "destroy" {
  input = "destroy"
}
