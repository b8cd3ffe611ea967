benchmark --endpoints=<3 members> --conns=1 --clients=1 --target-leader put --key-size=8 --sequential-keys --val-size=256 --total=2000
