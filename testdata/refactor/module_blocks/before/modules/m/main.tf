resource "terraform_data" "gone" {
  input = "gone"
}

resource "terraform_data" "kept" {
  input = "kept"
}
