resource "terraform_data" "to_sensitive" {
  input = "plain"
}
resource "terraform_data" "from_sensitive" {
  input = sensitive("hidden")
}
resource "terraform_data" "nested" {
  input = { public = "p", secret = sensitive("s1"), list = [1, sensitive(2)] }
}
resource "terraform_data" "gone" {
  input = sensitive({ a = 1 })
}
