resource "terraform_data" "n" {
  count = 11
  input = count.index
}
resource "terraform_data" "k" {
  for_each = toset(["with space", "q\"uote", "plain"])
  input    = each.key
}
resource "terraform_data" "empty" {
  input = ""
}
resource "terraform_data" "nulls" {
  input = { a = null, b = "", c = [] , d = {} }
}
