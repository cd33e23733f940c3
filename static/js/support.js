// Support button: updates in place without reloading (progressive enhancement).
"use strict";
