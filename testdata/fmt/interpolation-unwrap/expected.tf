resource "aws_instance" "web" {
  ami  = var.ami
  name = "${var.prefix}-web"
  tags = merge(var.tags, { "Name" = "${var.name}" })
  both = "${var.a}${var.b}"
  multi = (var.enabled ?
  1 : 0)
  obj = { a = 1 }
}
