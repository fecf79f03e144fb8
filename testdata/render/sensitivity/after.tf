resource "terraform_data" "to_sensitive" {
  input = sensitive("plain")
}
resource "terraform_data" "from_sensitive" {
  input = "hidden"
}
resource "terraform_data" "nested" {
  input = { public = "p2", secret = sensitive("s2"), list = [1, sensitive(3)] }
}
output "secret_out" {
  value     = terraform_data.nested.input
  sensitive = true
}
