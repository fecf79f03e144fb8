# Produced by: apply; `terraform taint terraform_data.a`; a "private" value added by hand to
# terraform_data.b; then `terraform state mv terraform_data.b terraform_data.c`, which rewrites the file.
resource "terraform_data" "a" {
  input = "x"
}
resource "terraform_data" "b" {
  input = terraform_data.a.output
}
