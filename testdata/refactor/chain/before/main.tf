resource "terraform_data" "first" {
  input = "one"
}
