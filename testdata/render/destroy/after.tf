resource "terraform_data" "a" {
  input = "hello world"
}
resource "terraform_data" "b" {
  input            = { x = 1, y = "three", z = [1, 3, 4], nested = { deep = false } }
  triggers_replace = "t2"
}
resource "terraform_data" "c" {
  count = 1
  input = "c${count.index}"
}
resource "terraform_data" "d" {
  for_each = toset(["k1"])
  input    = each.key
}
resource "terraform_data" "s" {
  input = sensitive("secret2")
}
resource "terraform_data" "m" {
  input = "line1\nline2 changed\nline3\nline4\n"
}
output "o1" { value = terraform_data.a.output }
output "o2" { value = "static2" }
output "o3" {
  value     = "y"
  sensitive = true
}
output "o4" { value = { a = 2, b = [true, null] } }
output "o5" { value = "new" }
