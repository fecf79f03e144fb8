variable "l" {
  type    = list(string)
  default = ["a", "b"]
}
variable "m" {
  type    = map(number)
  default = { one = 1, three = 3 }
}
output "obj" { value = { a = 1, bbb = "x", "with space" = true, n = { q = [] } } }
output "lst" { value = var.l }
output "mp" { value = var.m }
output "st" { value = toset(["z", "y"]) }
output "ml" { value = "l1\nl2\n" }
output "mlin" { value = { k = "l1\nl2" } }
output "num" { value = 1.5 }
output "neg" { value = -42 }
output "nul" { value = null }
output "esc" { value = "q\"t\\ab\tc" }
output "emptyo" { value = {} }
output "emptyl" { value = [] }
output "eot" { value = "EOT\nx" }
output "sec" {
  value     = "s"
  sensitive = true
}
