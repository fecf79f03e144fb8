resource "terraform_data" "never_created" {
  input = "x"
}
