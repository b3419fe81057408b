mpc.bus = { 'a' ; 'b' 
mpc.baseMVA = 100 'x