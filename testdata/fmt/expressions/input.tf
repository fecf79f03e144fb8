locals {
  a = [ 1 , 2 , 3 ]
  b = { for k , v in var.m : k => v if v != null }
  c = [for x in [1,2]: x*2]
  d = var.x==null?-1:var.x
  e = !var.f&&var.g||var.h
  f = concat(var.a , var.b ...)
  g = provider::terraform::encode_tfvars({})
  h = aws_instance.web[*].id
  i = var.list [0]
  j = 1 - -2
  k = (var.a + var.b) * 3 % 2 / 1
}
