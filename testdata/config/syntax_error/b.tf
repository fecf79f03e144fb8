resource "terraform_data" "b" {
  bogus {
}
