// Core 1's holding pen in the RP2040 bootrom: `wait_for_vector` in
// bootrom_rt0.S (raspberrypi/pico-bootrom), as a state machine fed with the
// words core 0 writes to core 1's FIFO. Its protocol, not its instructions:
// core 1's own code starts at the entry point it is given, with the cycle
// counter it has then.
//
// On reset core 1 drains its FIFO and sends 0. A 0 received at any point
// drains the FIFO, sends 0 back and waits for a 1; anything else in place
// of the 1 does the same. After the 1 come the vector table (stored in
// VTOR), the stack pointer (MSP) and the entry point, each echoed back;
// after the last echo core 1 branches to the entry point.

export class Core1Bootrom {
  // send(word): to core 0's FIFO (the bootrom's `sev` follows);
  // launch({ vtor, sp, entry }): core 1 leaves the bootrom.
  constructor(send, launch) {
    this.send = send;
    this.launch = launch;
    this.state = 'reset';
    this.vtor = 0;
    this.sp = 0;
  }

  get launched() {
    return this.state === 'launched';
  }

  // Core 1 enters the pen (after reset); drain() empties its FIFO.
  start(drain) {
    drain();
    this.send(0);
    this.state = 'one';
  }

  receive(word, drain) {
    word >>>= 0;
    if (this.state === 'launched' || this.state === 'reset') return;
    if (word === 0) {
      drain();
      this.send(0);
      this.state = 'one';
      return;
    }
    switch (this.state) {
      case 'one':
        if (word === 1) {
          this.send(1);
          this.state = 'vtor';
        } else {
          drain();
          this.send(0);
        }
        break;
      case 'vtor':
        this.vtor = word;
        this.send(word);
        this.state = 'sp';
        break;
      case 'sp':
        this.sp = word;
        this.send(word);
        this.state = 'entry';
        break;
      case 'entry':
        this.send(word);
        this.state = 'launched';
        this.launch({ vtor: this.vtor, sp: this.sp, entry: word });
        break;
    }
  }
}
