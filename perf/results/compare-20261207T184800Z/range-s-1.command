benchmark --endpoints=<3 members> --conns=1 --clients=1 range /bench/k --consistency=s --total=4000
