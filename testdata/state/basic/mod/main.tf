resource "terraform_data" "inner" {
  input = 42
}
output "v" { value = terraform_data.inner.output }
