resource "terraform_data" "t" {
  input = { name = "kept", tags = { env = "dev" }, size = 3 }
}
resource "terraform_data" "other" {
  input = "unchanged"
}
