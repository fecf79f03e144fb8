resource "terraform_data" "a" {
  input = {
    p = [2, 3]
    q = ["a", "b", "c", "X", "e", "f"]
    r = tolist(["x", "z", "y"])
    m = tomap({ k1 = "v1", k3 = "v2" })
    e = ""
    n = null
    o = [{ k = 1 }, { k = 3 }]
    t = ["b", "a"]
    w = { "with space" = 3, plain = 2 }
  }
}
