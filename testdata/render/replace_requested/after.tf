resource "terraform_data" "a" {
  input = "hello"
}
resource "terraform_data" "b" {
  input            = { x = 1, y = "two", z = [1, 2, 3], nested = { deep = true } }
  triggers_replace = "t1"
}
resource "terraform_data" "c" {
  count = 2
  input = "c${count.index}"
}
resource "terraform_data" "d" {
  for_each = toset(["k1", "k2"])
  input    = each.key
}
resource "terraform_data" "s" {
  input = sensitive("secret")
}
resource "terraform_data" "m" {
  input = "line1\nline2\nline3\n"
}
resource "terraform_data" "gone" {
  input = 5
}
output "o1" { value = terraform_data.a.output }
output "o2" { value = "static" }
output "o3" {
  value     = "x"
  sensitive = true
}
output "o4" { value = { a = 1, b = [true, null] } }
