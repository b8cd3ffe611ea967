benchmark --endpoints=<3 members> --conns=100 --clients=1000 range /bench/k --consistency=l --total=40000
