variable "l" {
  type    = list(string)
  default = ["a", "c"]
}
variable "m" {
  type    = map(number)
  default = { one = 1, two = 2 }
}
output "obj" { value = { a = 2, bbb = "x", "with space" = false, n = { q = [1] } } }
output "lst" { value = var.l }
output "mp" { value = var.m }
output "st" { value = toset(["z", "x"]) }
output "ml" { value = "l1\nl2 changed\n" }
output "mlin" { value = { k = "l1\nl2" } }
output "num" { value = 2.25 }
output "neg" { value = -42 }
output "nul" { value = "now set" }
output "esc" { value = "q\"t\\ab\tc" }
output "emptyo" { value = { x = 1 } }
output "emptyl" { value = [] }
output "sec" {
  value     = "t"
  sensitive = true
}
