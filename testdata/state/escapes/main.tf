resource "terraform_data" "s" {
  input = {
    esc   = "<a>&\"\\\u0008\u000c\n\r\t\u0001\u007f é \u2028 \u2029 😀"
    big   = 1e30
    tenth = 0.1
    huge  = 12345678901234567890
    neg   = -2.5e-7
    small = 1e-30
    list  = []
    obj   = {}
    set   = toset(["b", "a"])
  }
}
output "e" { value = {} }
output "l" { value = [] }
