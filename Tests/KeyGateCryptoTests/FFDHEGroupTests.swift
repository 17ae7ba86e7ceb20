import KeyGateFixtures
import Testing
@testable import KeyGateCrypto

struct FFDHEGroupTests {
    struct Fixture: Sendable, CustomTestStringConvertible {
        let name: String
        let group: FFDHEGroup
        let privateA: [UInt8]
        let privateB: [UInt8]
        let publicA: [UInt8]
        let publicB: [UInt8]
        let shared: [UInt8]
        var testDescription: String { name }
    }

    struct GroupCase: Sendable, CustomTestStringConvertible {
        let name: String
        let group: FFDHEGroup
        let byteCount: Int
        let privateKeyByteCount: Int
        let primeHex: String
        var testDescription: String { name }
    }

    // MARK: Known-answer fixtures

    /// Fixtures computed independently with Python's built-in pow, p being
    /// the RFC 7919 appendix A prime and N its byte count (256/384/512):
    ///
    ///     python3 -c "p=int(P,16); a=int(A,16); b=int(B,16); N=256; \
    ///       print(pow(2,a,p).to_bytes(N,'big').hex(), pow(2,b,p).to_bytes(N,'big').hex(), \
    ///             pow(pow(2,b,p),a,p).to_bytes(N,'big').hex())"
    ///
    /// (and checked that pow(pow(2,a,p),b,p) is the same value). Private keys
    /// are random 32/48/64-byte big-endian exponents. In each group the first
    /// fixture's shared secret starts with a 0x00 byte and the second fixture's
    /// public A starts with 0x00 and its private b starts with 0x00, so
    /// fixed-width big-endian encoding (left padding) is exercised both ways.
    static let fixtures: [Fixture] = [
        Fixture(
            name: "ffdhe2048 fixture 1",
            group: .ffdhe2048,
            privateA: [UInt8](hex: "32eb9af2f2d264d9ace174115375427f d0b6b752faa43a0fc451273e002316f5"),
            privateB: [UInt8](hex: "a2b1176ccacb696e8b23e95d64691e3e 1bdd8924bd091f30f4c44c6bdf70ffea"),
            publicA: [UInt8](hex: """
                329aceeda67807601174fcd5679009d3b595f85cc017cb61814a15099d6c7d60
                9f32274675ddd65b92ffa53df5c01496e0b7dd865b8f1c1967c16fadcd73dd3a
                6d879b8be3cacf2a5b6166931be6d52f6338e784c37315db34cd65d761b2d6d4
                50def92db1f7c20349bbd8b26026a26da2cf13c9039b23d235e6bc6045c669a6
                690236466b45fa04b27257d4e6b4c8f5f35afe8e0908e631551e45702841e2bf
                a438ca36c223c677d99edfda37862c0331450b5bc9127a903a5a0ff9bfb1defe
                eb047ca448b2505cb5de734db87d8ad9a823df1f96113ca77b05343feb976248
                b36e2f00f8fdc5b9527682287d2321e80c0ba923bc690b87ce4949f69307efa4
                """),
            publicB: [UInt8](hex: """
                d58fa94537e959e76ebaf8ad01609c443726b1a3f2bee8b4c0ef07a8c517111f
                49b5d69333069908eca43c8ad22bd791e6a5de936834ec5a0f980f39ddfb095c
                3cd9aa0dfb030e1d1f72291f6e344c608a378560c644991318f7f2d8a3c3f9f6
                ebc9929d897412f8cd43354fef6bbbf57641cb05eaa44b814044127035cd91e9
                520891635b06cff30c662b1637a51b0aaa498905205d867fd77465c644e36921
                a3fa733a688377ae02a70831b8b2cf25a7e06c2c2b5c0ca5a3fcf60b32a1e59b
                2a70f5043bbc0d13c0a73ac7edc61d471d8c012ed9f3ccd389613b33b842803e
                54fd760ff266db98bfcd4cf34b0fd12a84bb538b99de69b410fd6246c8b658d6
                """),
            shared: [UInt8](hex: """
                008ff7859ca885513507c96814eb4d5f53a110b9308bad2b751fd76872843d1a
                66e4926b921a99405de14bf80a34534f22aa87bb6b962202e5b5c2cad7b2cf6a
                969cb077dc908253932266d7dc22769002e72a2f283d44197ef52856c6f3b79e
                2fe10fbfd0097755e886a8bd739fc765f66db2a54c084fc7781effe678ce9804
                999fc56513fd566278cc14c64246e8ee35d1f0f1de11bb24023c03304f7903ed
                bf16086c6b44d455d39d663b96caa05a927c2def3112ce8bc2da597015295225
                499111e0afad711fddfe439eaac7dba24d6d053996c56e5dc63051cf3443466f
                29dd12eaa5d64ab8729aa84307a59e9496e43438f58d0165d1c2fb0aee10f245
                """)
        ),
        Fixture(
            name: "ffdhe2048 fixture 2",
            group: .ffdhe2048,
            privateA: [UInt8](hex: "2d28ae61c3d565b96a5841b1ed93246b 2949b698f65062defcf374b3b6cff688"),
            privateB: [UInt8](hex: "007dc47ab29bf1fcdedc3e68a4162d7b f946f5cf56c612feed4b4da11c5d29f4"),
            publicA: [UInt8](hex: """
                0053a6b6d644d9da88778b5092ac8664910cc06310d000c1faf80e4648caa41e
                90fa8c1e5503e03c14d3b35b146dd9b697d254f637b035a2cfc949e92d51b27e
                c806be9bf64334ecf9fbe40e2e3b0d15523d0b620753aeaa71f480bc04f1304a
                5e4b04c7cedc4e6230ab9c2d4c66d5ee2a08a07e4fddebbc482427f9a3d295e0
                89a79c8902ec9622b613c94a0d8db3806729326ec3c8d19ec25a64d5e19eab80
                3e7d734c2e05545f5d7bbe55228ea805558d77e61da0eb73dfd0d6e4e201fe52
                ebd49902b0735e5d508117743fcce6f1d5ec0ed77f2281d24d5b0edcbd512c9f
                20dc4dbb057c069db6979eb1248dfa9f1b89e362c850f747a960bea8cd321db1
                """),
            publicB: [UInt8](hex: """
                ec6cc716b015a923e5fa9069c946be4b90d2b625b9b35cea70aa7d525d2d6c94
                44c787c119b30843ef106b0046d9589b79721bb9cfc6e0abba7fc6474abb65b3
                e1d6f68538fd975d852cd43a376a87cc9f77f5ddb21137ae8fa356b8ac56c02f
                bf5ef33ad074524b6aaefdcd710bd766d8128c9856d8c19475bb217b43d70e06
                8172dcf90af3078753d716fffdbfb125539dc19c26a4d39859bd587afaa84318
                b2a0b8beed306e91ee5219d58a1422e942f562b46d0145e56a9952358f026b1f
                f807e0596bde75e0bccc8acec203a94bf1c1281c835ba2a1bbc542493ad6c43a
                07c9a6f3f439fa0c243bfe2cd0b7f61e2693c1e2ca1fc92e08d0c98f58ae1476
                """),
            shared: [UInt8](hex: """
                ef33c3bf3ca79afa454280ba7c8e483279250d7b8dec96f43339e7ced8ce830e
                1d395c20fd7a374944ffe56371310f084e61c95b8450317f0b45e74b11925839
                c4c09c14dcad7a26bc295e32ca0913a557bff07b4b48c139bc83b1f8bba05d68
                146891269bac8596804d919a0d2df64a6977f9799ca94f2d1d884f8af205ae2f
                ba03ce763ae2bf53abee521dbd04feebeae550a8a801cd9004adc906a4ab548a
                03e45f8e30c0464fc3cb85d8210561b8425b46b9ddc6e6f613ae0c613f9e72ad
                cc08fee16bd0e690e33feb5d7d91775a0687f9c7f100bfdc4654deef91aa7ef1
                4081e1c75671b30d7e088ce2bb3fce3b4c910f6efc7711d516487ca5d699d92a
                """)
        ),
        Fixture(
            name: "ffdhe3072 fixture 1",
            group: .ffdhe3072,
            privateA: [UInt8](hex: """
                aca875526bbca2e632d2f6374755fe1ba9c7a8fd3abfb1b4cf62c0d99deed37b
                ce920bae320082d9709b75955a1d43ad
                """),
            privateB: [UInt8](hex: """
                e85747113b57651de97dabfb02c6345d560a40c1a5231a23059f84a8e7e8502f
                78200ae0a45343e778d3c9d35122cd1b
                """),
            publicA: [UInt8](hex: """
                800677ab6e555090ece3fcd82bc9ce9f45896b8886f021880b733b8348e735d1
                2cd62e9c0601d7c8f42d2e35fe56a2df8e1846c7ce304cc595d4de2443abdc63
                e0ce15ca8a38bf7038dcf5004c7910cbe653b60527ac2a3386a46d72b98e34e5
                de205bf6855dd12b8072473e3bcc4bcd3b45dac28f94e7c3cdce7be63b43b5b0
                975b5d656949e8b75d913e455221a1f648528061286fb3ca3e4b9507dad95a87
                53b6581af83842e00bee467f003c394e474b4c3bdfe6d56b6f5c3499a8698a72
                4ddae71c77345843e694ce2c67655a51d4b7dd8ac624a782a18c1fd99056104f
                57c2cf4261e68d3fce533f3c270e782a21402c5454b98c90ca99074262a6ac15
                16d03cb460aa2bec8018fd936181012c84a1a85dbdf77fb4e34bb1215bfba31e
                e489f8c837df26997937c4450d229894eb03a03e6b229fc6250471a5fa394725
                ede633a77206497f2c9089afeb021b6051d5ce95b7911afc741f6fee4a5f4d09
                a1c4f056c451ec98efaeec73c0e309a3255b9789ac965f301bf5517180335256
                """),
            publicB: [UInt8](hex: """
                1ac7bdb069d0f190644a08a6c00d273e857a20492a817c014857826617c3ce2b
                7eea1232c91667c657f0ef0fea945f86b28ec59291a90440ad04e2324ac4b358
                a2ef4cddf4de76311ae195896220ac016d9e09176213dd04e02ca3a98a4c9e4b
                106a8f637b632733578236680ca1580654ec0831589c0c37072861fec66d19ab
                a131d279301a0935fbe839dcb52fe2c5839bfa08dc20a270f026c2d1650fc093
                7897edcf8b7037aabdfc356a82554411b68fe52137367088fe4bbf91943f8938
                92e8ddf25aa3f39fc64e74461a6d302de7418db210b87fdb338c627d1cb17504
                7fe1cc6da4335ec47c86269068a39f81f76318f3d9c695584daa806c00b5a177
                629770f354859d0250d563507c71a5bee6dd7da5af801d771354792cdde03d20
                2eb788d1ecdcc72870bcc149ebcf2dc61a1b927f53f92f4790c6de4519fe8d90
                937edb6c7d7576c13aaaebff4e67be4dc360b876c5948e10e0dcfd407f4bc12b
                b2bab4c5a32769dde8e7835201a0c394826dd6d546408f8c93c173572421351c
                """),
            shared: [UInt8](hex: """
                00bfeb497ccbfe5a426de7311ec159c3530ede4e77b295294018bc31ccc69b11
                a775f51ffc1296baf3f2489ae714ae2ed604968e664920679a789e0b2e58d462
                bab3791baf304701d7c5a4e474b5ae703165df0654b3bf9143a873514c5c338b
                df9fb80da8b1e639f2e654d27f9941f9c925b9f74868c7666faf75abe0244dd0
                9c1dcc0f0898382563e23f27d50af056dd871eca88b8c6c48d1fda137f9d8223
                2db89775e7bd7de335982dec7fc18874c15db3b8cd277295cc357af9202c29bc
                180532721dc1ae8c46e5f9e42dadfce42d2c1119bb59ee89eb749ea8cad8c8b3
                fcb0f356c98146921e8715fb02beb052562410292c6a41638e994efb4efa0ba3
                c8a23512cb385e233c69ade7054135eeab51377aa37536e9887b1b1f578a6141
                92c54864ee5b8ac48b5fae58686fe45f4fbc485c74e2863f45172baba013299f
                cae80b0dcabe87b293e05ddc5269edf722269d12de75855380bd5a1cf3e5884f
                742e1be6ba6a1e22f2f15646a2c988e5ce21c35ec768a5b629d27e1ea19fc291
                """)
        ),
        Fixture(
            name: "ffdhe3072 fixture 2",
            group: .ffdhe3072,
            privateA: [UInt8](hex: """
                f538592d8e52f0da04d9fe7e657099bbdddb11b04010343dc7827df5b841486a
                e8701b44fef0d437534b91151e9eb4f5
                """),
            privateB: [UInt8](hex: """
                0045fa99a386c270f1ce391f6688a6d472c4209890d77307704d722ed729c4d5
                77ac84ab1508a89626f23f3f956ca201
                """),
            publicA: [UInt8](hex: """
                00a41350720ddbc43f703d6b901bacbb45bb73c4a3de045d5ab24486b7a46018
                7e64c7d9412ad0597e285c44fb5b13bd49895f0eb828a922efe378e8dde801a0
                6375de7b7937f8ebf094cdb94ad3c9864c416ad4ed95920fad2cc008e1bbd286
                95936280106bf68a7991b6569a6bf9702fd63ae70f410e4501ee9722662e284b
                93eab6aa204dd8060e456127d5c636b87b83a55378b4ca8c0ffdebc51eee145b
                1872cc6792701b10bc368ddd2d32c7009836c0a3674209a8b6514e8fc0dedc23
                ef640dc027dd7b332cc1f2fba4bae8180d759716228995557f7a6727ebd0b5cc
                6b4ea5bf2574d237e53d20a01b24ad1da2547ec817c4b0cb1cbcfef1feab4e19
                88afe4192835de85e6a0dd78c891b0f6867e9b7b7e5d65764b0936f99cb38841
                6bb8e2a7d0a0c7b8fdda7ec9547fc61a8921769980bb9f06547d7083facb4166
                c9510e3808012268ef49d5db4fd6d2c37cd73c611c6c854a98879385e20c339c
                7a1537a054e8f30053908c13f2f2d1fc067dbfcf6c3504c93d34bb147166c43f
                """),
            publicB: [UInt8](hex: """
                59bbd82f0842880815ff3eb45de5d43db3b9bafe6e52b1bd4c934134e304689a
                aac65ca01daed1b3f837921aed2d7b577830abe704645d5e357b16d461671404
                32f6912770ed2116c8eb7e1bfb601172cce8facc1cdf83af8800e89c0d460e3b
                271603bd0f0ffc7ecd75404218cc6d4e432d90c99bbf732e42862bcefeae97cd
                0d69c34d7bc2e0510db59544ce890ba27dba24c23806c903744f3bf38727f93b
                09bb9b53165726062f53774a19fe22789f880655da37402a5a9c15450e4dccc8
                c854e2f1e811ab943cd5cc1d1949b2c5af66b1c6734eb106acb1ba3d826b2769
                4a0ed2777a52d7a121fe368b48af1d2444de247fd9003063c0efd640395cd5be
                05f3335dd07510cf3bbb68e14723e0e6c97d0f306145053ca12ab8e17ac09099
                d5f50535e12b678e8676099b28d8d2b0d756a67c5c0109ff8bfd4153252eaedf
                d7834d7ec25933f433d6f6cbc84f8fbf31079a6b21333bcdb2fb971b8dee2070
                2fe5e898fd4212827294e40b0954a4e541d38b81f6d42c97f1fceb1c8ce13d2f
                """),
            shared: [UInt8](hex: """
                a6d1e628c17703fa00cc5ce40315691230a566fd5a23204ee7221a38b22718cc
                5d6dce20ea3a0cf476d0b5213c23a5171d8e29df97c5b50724e5b53559c6246a
                0b28267e33fd5eecb29cd511b28b9ef73bef35d62466fb5b217bb78933ffdf29
                8f19aa9db168bc29fbaadb7a0cd81922ca1f59bfb7481f2c94f7534dc497e6b2
                35f0ac2f3e4d63263bec45ab9f44e5e3a08b51a8786f9d911176037d346dc2f2
                b90ac93c6df7b922ae6b2eafde19229d915bb5f2384e9f9ee529f702d15923fd
                3c16cd2e5e9f49e739f561cfca0bb4c108b51c59ddb8e9b710e3848c59c29cbc
                df59fc4a2c83551aa90c4cb3254d4a836605a26003c74cd06509071b2ac0433a
                0218370c7ca46c2ea17a2eac241091e0f769ea50b9b72ae0f7cbe7d4a997b7f9
                10ed03e0a2775446a55b5d9827572cb8548a2c4e1f5301e0bfa6d44e72adc89a
                96dedc0a10111ffe76417f0705fd739f3da9cc471272414d0fcf859668f58438
                231d9db40e4eb829a84586b45ebeeeac144c047c477dda69593c6cceedec8b98
                """)
        ),
        Fixture(
            name: "ffdhe4096 fixture 1",
            group: .ffdhe4096,
            privateA: [UInt8](hex: """
                6f13d5b8c204bebc3737307d8955b7f45f1c3ef5330501dd53fda12026381eec
                1f67e13c039c49988925f8741ea5a94e16b728acf63a19a9c48b3020dfcab0b3
                """),
            privateB: [UInt8](hex: """
                5c8efd8e21f662f9fac61ce9e47e9138e59f6f89f97d4591f9cbf0673cab60bb
                f173ac1add4d0cc6bef7fbe8c6fc694e1c5890909ddcab19b2e36fe46d6bd7e2
                """),
            publicA: [UInt8](hex: """
                08814d1162460cf5bf2b6c135ab4ff67a0c28dadd732f0956b9c52eaf9d2e4f8
                8e13a879ca75f8b6a2b7419642a68ba42d4076d666ef949cd6d13705e6a36f5a
                f9edf660bb06689fceb324e8a8684d3454d8600148c71242f3320f36ba2e56a7
                c9ab20124e0be24f0cafc93c813db5d1599892c82a8f57ec736c4578ee869465
                2746cf6cdf87ddacb8ff49c1531e94363d72ad21ac5fa4382c9d61b814e4185b
                4fbd675a095c283ef2d7dc08a77bec1b49bd888a1f5c60e5827a19a253bf37f2
                ce697a0136a20d4a3b914b8104bbadf09fa41a2862e309322bbe51714f3ec71f
                8d9639b695fbcb5bffc11c403b457c055dba51c7db0d7e4149d6e70038816f26
                8d9e808dc63cd737ca6ff3892acad1c8a367529c01493140b3570bd3d09503f6
                59c37bc7af40b1d490caaf89f7f007a426f5a56a5079c177db9966b0cf18c74a
                63c27fe3a5805d50b8309336d9b45d2382e5f8d7d7182e35e028b69693adb5be
                befb69d4b60762dbc56750af537adf7ed870a83b199b9256a760f9a73d62c2ae
                31f80509713a5dbfad56288b5b2ce9bd68f62080a1a6884c271f4824e622f421
                89f2227fd1056c870e93a9e4fae92093e33b5f69618b140e0b4daabd24fe219e
                fb57d3259995436f162ba23da0700f66086fd178f04b12a31e634020d923faa4
                ad9576e76f344e2884e68851631f5616732654bd6c709ba46296a30154857500
                """),
            publicB: [UInt8](hex: """
                124d1976604f5a70253c4fef897ce3d73ed08aa3739b5cc66df58f947df3eb10
                4665b47836f5c2b4d12cabb2483c6693101420b06171eafb6e7f9762f1f25b03
                a5c31248ea69998b5c92816dc514d9546b807d1893cf78ce5e81ca801a9a65e1
                3e0bd1fe48b367f78ad4b858bbfc9305aae9b9c1270649c5ee63c00fcde28bff
                ba0dc09d8d15269c036e88b6882e562312da7f0b3b2f49543155348570815cfb
                3e236609a362038486dfa55fa8271e76c4f023144be73dce192cb1f126f6bade
                ec070710c5af774ee8879e4c1949eec78c7cb225ce395176fce3ae510bbcc5fc
                d6ffb51626e68ec36d2fd1f693218c7c89b2068cc3d35b9d2a71ef11982aaead
                20cc4a20cc77826f64bee1248da2994f585cd234d80adcd6d338f03353ed236a
                23cfcb3baa7fc37c60cdb32e80036be98c5f922000adb92bfa9343b5184a6a79
                bc1e71b3ee5288e3483e1e4b997c491f87d68a9563232eda8ef4bc7ad9add3e2
                a0462fa992c7dc05bad760928221919abe9dfa087cd52ef9fb4266e929087898
                aa95998d6bdb0d7558b0964f8fd34936e2ae87311593499323a6d9b971d3c57a
                49a9b9d455654606c17891ff26d607c4d42213c5d8f8d388e7e1e93c5f70a4eb
                966e271c3f47653e9058ee4ed4189a51b83f57ee41f3b3abfae5ea4672f380be
                b7ab964a5f93f1f86f37219d0c196d03a65725b9d0cce4b2ac828fec79f728f6
                """),
            shared: [UInt8](hex: """
                00cbf13d754e66ac18a7eed9c7b9e4f15be38d967bd2c3118903b3a4412abf69
                0f845c88d3be700fd80c2ddc7bafe518bfdc6f440e251c2df4b741c58074d2a3
                4842d9880e9fd719df0588188d2b106e59e5fab57ba51a0a38bb6e017f0cde43
                16671da8ef6d9f32b360b2dbc9b5fe78a2c27eb0f956df947fa9c5f200c4d731
                215306a71b05c142340638230c82a089b73d91bea5e18d11ea89d10424beec43
                dcfd3c729f07a2f7889186c66dc91c6650bbef31c1402c0197e990a571f1b5fe
                5f441733953ef84db0f280f6ea0d8d34cc9f9bb380dda961916469a6e535c15f
                0cddfc4668617635c806c02d5e3bf7bfd9fbfb8113566df7b7dadb188737dde8
                caa45bb9a56dfcb921aac482cef1f0c49ac60d1f23edc7338d4ea73ca8adc744
                19b098e39114c729905c96d80738d428871558d7becf04ebfae919838d96e907
                9d0c9057ade620f6ea798abc7c6ab66e8386d2707fafce5b2c2da1297b207d8e
                8a7f376e754ba130182d73c6d7f29ce5ecbb1031ae8ef6846addc951a77fc9d8
                b7019009c978020aa491db96cf315b2eadc16e1bcf50a78a9ef821efaa0686b9
                00a4ddc15acee1c6811e538099ca25a304adecd5457ba4be2ef9613fdb5eb2d5
                9e96c2e483b4448958f83b4c0e27c05b81e47ac3ccc6912f8cfc20c492cecaa9
                401cb47be776ad8c64fe28d23325879b5f25301c72fb5669f367ecebde19b987
                """)
        ),
        Fixture(
            name: "ffdhe4096 fixture 2",
            group: .ffdhe4096,
            privateA: [UInt8](hex: """
                c74ef8ee3ea416bffb4978b98c82fb1378d6ce61e2005b289fa72023ed876f8d
                01cde5e61caf60fbf49fe00abf7b699050468a8ff54ef3463ad1b886a95f5477
                """),
            privateB: [UInt8](hex: """
                00d4abc79a62e64747cd0ee453f1083f3b1402378c89f5c0acf3ca91581a32cb
                44ae7f4a98c5853a16936c51ad4b4dddaaf9829a05da92ca36e3aec7a5ae7e74
                """),
            publicA: [UInt8](hex: """
                00152e01bd7fc19d719c6557609086cd220685b995c95848ec78eb87b5277447
                16e88bb94148016bd6898c5c64db25bc5b0a1c8632b778a05d154afa9e22112c
                e83dae2498f9798ebad6c4113bd2f2c159d13cae9d14ad2e1c7720d06eb9640c
                352e9577acf22b07537267593de362abcff042ba9ff21dd1d68349c286db11ae
                5768b7604ed7adfe3f1a34bb91d481d727322223e918dc6e535f9e682410ed0f
                54c3803276ae320bf8fdd0b3865c9f77e868efa9a195ae6b56d0cdff6ee7318f
                022b67b359de7c66e846b5bf9db37db2bb40519db93283adc5a482f2729cd387
                ef8285d893ebd7edd61e1a446a47e1d6ea90028f473b995ff2193e4f938548fc
                6f5cfdcb0a1242586a22d9e4eb4f8936d1fd5f352ee9ef75df8615ad373e183f
                5036cdcae42f020dcc67c6898794d4d38859b63665c33750d1f2fda2fc781dde
                9e0d3f65791ce3ab13c2c2bad0385d1bac67ad833aae792ad0ac64196971cafa
                e19c2bfa589b45a91bdb1c2351e9583c106566a3a7e8ee3ebbb10b3b6a878ee2
                fe2253ad6be32f4b579a30eb124ac99af730d1e4d38c615013d5b5e88eff908e
                c1361b93ebc578d89a3de3297287549604ba2091ed62a8703a2d946fac550e62
                b984551894c9c5328d59e0802cb0656457045fa5ba617441a856c0b67d6efa0c
                9d9b1ec1861e0cb2092404a0a15f57fd84edd1d5bb2591d31f7121d89686b1a1
                """),
            publicB: [UInt8](hex: """
                02e8ee627d4391360d00a958a11cdb717722b4a9f04f456bcaa2741b2eb41f8f
                75c112cc85fb081899000c4eb19aa4fa0aff8a179cafa78fd84c88db7dda23de
                8e2a762191cba928f2ed05d2849b4a0820e2eb5aebcf283225f0bb69d314e425
                fb511d36a835079398582904ad4b6c159da281f7df81439ac89e32db20adbf08
                187c3969aea937b577c5d3f89e5132032da4c994aad38f562ca75d54000db5e6
                8593203c5bb06a8c236320678887c53ad9b69db5e76d6364a6c22a5aef795d8a
                48f3321bca2c630679d3bcca7e141543ac48b06fa1ef4bc40ff1cbd33fd25c75
                fd87686f506a362c33f6d689ffc7d1f2d944e58c2606347f62c8e01afcbcab6f
                7a5635915b7704ceb0f4d1162fd5afa04af35988a134e482a9d7f4c5f91fc70e
                0060a53e7980eb37b05f24ff237a845c80b81472a9ebb0cd7062bba5b54a97f4
                6018463cea5c2b2759130b14ffc5a6d9df2802a514b73ecf61004b75cbd9ed8c
                c934d5d1c721449e3ae5fc02bb18ad59700b6dfd4cd339b9d7771b207cb33bf7
                0e895c3f0fd8fe9e3d54996deaa90ea9413bc163b16305dd025093739381e228
                414b89927a8ae3b1c0d8433697f87682c1507aaf286fa38f1d078ad6bb00cfd7
                ab24875f9a102be635483e00b056ca808f94faad86aa27b8e60553b7ff6fbc79
                8675125564b9bac8076048403b989232b166757ee8eb4fc9490c53ea88a1c1ee
                """),
            shared: [UInt8](hex: """
                eff0e6009ec52a12a22e1febd14ccfeb9dadd9b0a0b322f5b10f35cb864607d8
                7a8194b8bb59d47efa47d55cb6300889e349871e587df92418a8fd00df3af6cd
                e2b29aa0a974b0107cd97f4a0bb397246c0cef1bcdfcc86be5f43407fc58fec8
                54cc92bfb8cdca26b2d0f7d6eae05d4c83fce6fb4d7ce42f51d96a3095f28528
                3a474cdc226803e1ea006735a7b6232facfd277a38062a5a4f8bef32a31228da
                8b7d761205f10195d97bdfd538dfc4ea325781f0154762247c9309a1ba3adaff
                25e24048be3bb40305cad7592eb6dead0a2bbd2013290bfa1dfff2f1dcbd9d8d
                6961c8abb20eeef2e951578f5de9878544fc38dc7661d3b16e2a2790aececf79
                8b72a7ceb03a7009132f40597fc9bf6405edd25ef316db7c2ae2fd022adad033
                ae014d17b0bec3f3f39c578b977090448e86b5245657d68827f0bb4d5adabb6d
                1ac7bcc7b20d3b5b0c57bb8c5d0869bcf5a593c468b39635a1a98df2a600f1b3
                7d250ac943096e15999b4d5ffee6deda00f9f35f7e1f94ac1e78af59e28f685f
                76161ba3ffe9b13e6f5bd8bb5bfcc484fc391b457ed99f90fd222e35767426bb
                f2b6a7ecb3d17d3d9a5be0dfd604da387ab13c06b3d4b0f57bd699f186c42404
                95b75f754af96b35d817ef5d493ad181b0a7361d7dfb04d723c9e8c4ca016eb2
                2ccfa217c99b123f525d539f0c02173816e5cb73c906d3876d0926a0967f4139
                """)
        ),
    ]

    @Test(arguments: FFDHEGroupTests.fixtures)
    func publicKeysMatchPythonPow(_ fixture: Fixture) throws {
        let publicA = try fixture.group.publicKey(privateKey: fixture.privateA)
        let publicB = try fixture.group.publicKey(privateKey: fixture.privateB)
        #expect(publicA.count == fixture.group.byteCount)
        #expect(publicA.hex == fixture.publicA.hex)
        #expect(publicB.hex == fixture.publicB.hex)
    }

    @Test(arguments: FFDHEGroupTests.fixtures)
    func sharedSecretBothWaysMatchesPythonPow(_ fixture: Fixture) throws {
        let fromA = try fixture.group.sharedSecret(privateKey: fixture.privateA, publicKey: fixture.publicB)
        let fromB = try fixture.group.sharedSecret(privateKey: fixture.privateB, publicKey: fixture.publicA)
        #expect(fromA.count == fixture.group.byteCount)
        #expect(fromA.hex == fixture.shared.hex)
        #expect(fromB.hex == fixture.shared.hex)
    }

    // MARK: Group parameters

    /// RFC 7919 appendix A.1-A.3, "The hexadecimal representation of p",
    /// copied here independently of the source constants. Python checked:
    /// bit length, p and (p-1)/2 prime (64 Miller-Rabin rounds each),
    /// (p-1)/2 equal to the RFC's printed q, and p equal to
    /// 2^b - 2^(b-64) + (floor(2^(b-130) e) + X) * 2^64 - 1 with X from the RFC.
    static let groups: [GroupCase] = [
        GroupCase(
            name: "ffdhe2048", group: .ffdhe2048, byteCount: 256, privateKeyByteCount: 32,
            primeHex: """
                FFFFFFFF FFFFFFFF ADF85458 A2BB4A9A AFDC5620 273D3CF1
                D8B9C583 CE2D3695 A9E13641 146433FB CC939DCE 249B3EF9
                7D2FE363 630C75D8 F681B202 AEC4617A D3DF1ED5 D5FD6561
                2433F51F 5F066ED0 85636555 3DED1AF3 B557135E 7F57C935
                984F0C70 E0E68B77 E2A689DA F3EFE872 1DF158A1 36ADE735
                30ACCA4F 483A797A BC0AB182 B324FB61 D108A94B B2C8E3FB
                B96ADAB7 60D7F468 1D4F42A3 DE394DF4 AE56EDE7 6372BB19
                0B07A7C8 EE0A6D70 9E02FCE1 CDF7E2EC C03404CD 28342F61
                9172FE9C E98583FF 8E4F1232 EEF28183 C3FE3B1B 4C6FAD73
                3BB5FCBC 2EC22005 C58EF183 7D1683B2 C6F34A26 C1B2EFFA
                886B4238 61285C97 FFFFFFFF FFFFFFFF
                """),
        GroupCase(
            name: "ffdhe3072", group: .ffdhe3072, byteCount: 384, privateKeyByteCount: 48,
            primeHex: """
                FFFFFFFF FFFFFFFF ADF85458 A2BB4A9A AFDC5620 273D3CF1
                D8B9C583 CE2D3695 A9E13641 146433FB CC939DCE 249B3EF9
                7D2FE363 630C75D8 F681B202 AEC4617A D3DF1ED5 D5FD6561
                2433F51F 5F066ED0 85636555 3DED1AF3 B557135E 7F57C935
                984F0C70 E0E68B77 E2A689DA F3EFE872 1DF158A1 36ADE735
                30ACCA4F 483A797A BC0AB182 B324FB61 D108A94B B2C8E3FB
                B96ADAB7 60D7F468 1D4F42A3 DE394DF4 AE56EDE7 6372BB19
                0B07A7C8 EE0A6D70 9E02FCE1 CDF7E2EC C03404CD 28342F61
                9172FE9C E98583FF 8E4F1232 EEF28183 C3FE3B1B 4C6FAD73
                3BB5FCBC 2EC22005 C58EF183 7D1683B2 C6F34A26 C1B2EFFA
                886B4238 611FCFDC DE355B3B 6519035B BC34F4DE F99C0238
                61B46FC9 D6E6C907 7AD91D26 91F7F7EE 598CB0FA C186D91C
                AEFE1309 85139270 B4130C93 BC437944 F4FD4452 E2D74DD3
                64F2E21E 71F54BFF 5CAE82AB 9C9DF69E E86D2BC5 22363A0D
                ABC52197 9B0DEADA 1DBF9A42 D5C4484E 0ABCD06B FA53DDEF
                3C1B20EE 3FD59D7C 25E41D2B 66C62E37 FFFFFFFF FFFFFFFF
                """),
        GroupCase(
            name: "ffdhe4096", group: .ffdhe4096, byteCount: 512, privateKeyByteCount: 64,
            primeHex: """
                FFFFFFFF FFFFFFFF ADF85458 A2BB4A9A AFDC5620 273D3CF1
                D8B9C583 CE2D3695 A9E13641 146433FB CC939DCE 249B3EF9
                7D2FE363 630C75D8 F681B202 AEC4617A D3DF1ED5 D5FD6561
                2433F51F 5F066ED0 85636555 3DED1AF3 B557135E 7F57C935
                984F0C70 E0E68B77 E2A689DA F3EFE872 1DF158A1 36ADE735
                30ACCA4F 483A797A BC0AB182 B324FB61 D108A94B B2C8E3FB
                B96ADAB7 60D7F468 1D4F42A3 DE394DF4 AE56EDE7 6372BB19
                0B07A7C8 EE0A6D70 9E02FCE1 CDF7E2EC C03404CD 28342F61
                9172FE9C E98583FF 8E4F1232 EEF28183 C3FE3B1B 4C6FAD73
                3BB5FCBC 2EC22005 C58EF183 7D1683B2 C6F34A26 C1B2EFFA
                886B4238 611FCFDC DE355B3B 6519035B BC34F4DE F99C0238
                61B46FC9 D6E6C907 7AD91D26 91F7F7EE 598CB0FA C186D91C
                AEFE1309 85139270 B4130C93 BC437944 F4FD4452 E2D74DD3
                64F2E21E 71F54BFF 5CAE82AB 9C9DF69E E86D2BC5 22363A0D
                ABC52197 9B0DEADA 1DBF9A42 D5C4484E 0ABCD06B FA53DDEF
                3C1B20EE 3FD59D7C 25E41D2B 669E1EF1 6E6F52C3 164DF4FB
                7930E9E4 E58857B6 AC7D5F42 D69F6D18 7763CF1D 55034004
                87F55BA5 7E31CC7A 7135C886 EFB4318A ED6A1E01 2D9E6832
                A907600A 918130C4 6DC778F9 71AD0038 092999A3 33CB8B7A
                1A1DB93D 7140003C 2A4ECEA9 F98D0ACC 0A8291CD CEC97DCF
                8EC9B55A 7F88A46B 4DB5A851 F44182E1 C68A007E 5E655F6A
                FFFFFFFF FFFFFFFF
                """),
    ]

    @Test(arguments: FFDHEGroupTests.groups)
    func primeEqualsRFC7919Value(_ groupCase: GroupCase) {
        #expect(groupCase.group.byteCount == groupCase.byteCount)
        #expect(groupCase.group.prime.count == groupCase.byteCount)
        #expect(groupCase.group.prime.hex == [UInt8](hex: groupCase.primeHex).hex)
        // RFC 7919 appendix A: every p starts and ends with 64 one bits.
        #expect(groupCase.group.prime.prefix(8).allSatisfy { $0 == 0xff })
        #expect(groupCase.group.prime.suffix(8).allSatisfy { $0 == 0xff })
    }

    // MARK: Public value validation (RFC 7919 section 5.1: 1 < y < p-1)

    @Test(arguments: FFDHEGroupTests.groups)
    func outOfRangePublicValuesAreRejected(_ groupCase: GroupCase) throws {
        let group = groupCase.group
        let n = groupCase.byteCount
        let p = [UInt8](hex: groupCase.primeHex)
        var one = [UInt8](repeating: 0, count: n)
        one[n - 1] = 1
        let invalid: [(String, [UInt8])] = [
            ("0", [UInt8](repeating: 0, count: n)),
            ("1", one),
            ("p-1", Self.decremented(p)),
            ("p", p),
            ("p+1", Self.incremented(p)),
            ("2^(8n)-1", [UInt8](repeating: 0xff, count: n)),
        ]
        let privateKey = Self.randomPrivateKey(groupCase.privateKeyByteCount)
        for (name, y) in invalid {
            #expect(y.count == n)
            #expect(throws: CryptoError.self, "public value \(name)") {
                try group.sharedSecret(privateKey: privateKey, publicKey: y)
            }
        }
    }

    /// The smallest and largest accepted values, 2 and p-2, are fine.
    @Test(arguments: FFDHEGroupTests.groups)
    func boundaryPublicValuesTwoAndPMinusTwoAreAccepted(_ groupCase: GroupCase) throws {
        let n = groupCase.byteCount
        var two = [UInt8](repeating: 0, count: n)
        two[n - 1] = 2
        let pMinus2 = Self.decremented(Self.decremented([UInt8](hex: groupCase.primeHex)))
        let privateKey = Self.randomPrivateKey(groupCase.privateKeyByteCount)
        let fromTwo = try groupCase.group.sharedSecret(privateKey: privateKey, publicKey: two)
        // 2 is the generator, so 2^x is also the public key.
        let publicKey = try groupCase.group.publicKey(privateKey: privateKey)
        #expect(fromTwo == publicKey)
        let fromPMinus2 = try groupCase.group.sharedSecret(privateKey: privateKey, publicKey: pMinus2)
        #expect(fromPMinus2.count == n)
    }

    @Test(arguments: FFDHEGroupTests.fixtures)
    func wrongLengthPublicKeyIsRejected(_ fixture: Fixture) {
        let group = fixture.group
        let valid = fixture.publicB
        let wrongLengths: [[UInt8]] = [
            [],
            Array(valid.dropFirst()),   // one byte short
            [0] + valid,                // the same value, one leading zero too many
            valid + [0],
            [UInt8](repeating: 0x02, count: 32),
        ]
        for publicKey in wrongLengths {
            #expect(throws: CryptoError.self, "length \(publicKey.count)") {
                try group.sharedSecret(privateKey: fixture.privateA, publicKey: publicKey)
            }
        }
    }

    @Test(arguments: FFDHEGroupTests.groups)
    func wrongLengthPrivateKeyIsRejected(_ groupCase: GroupCase) {
        let group = groupCase.group
        let size = groupCase.privateKeyByteCount
        let validPublic = [UInt8](repeating: 0, count: groupCase.byteCount - 1) + [2]
        for length in [0, 1, size - 1, size + 1] {
            let privateKey = [UInt8](repeating: 0x5a, count: length)
            #expect(throws: CryptoError.self, "private key of \(length) bytes") {
                try group.publicKey(privateKey: privateKey)
            }
            #expect(throws: CryptoError.self, "private key of \(length) bytes") {
                try group.sharedSecret(privateKey: privateKey, publicKey: validPublic)
            }
        }
    }

    /// Expected behaviour: a private key of all zero bytes is refused. It
    /// would give the public value 2^0 = 1 and the shared secret 1 (which
    /// sharedSecret must refuse anyway); a zero exponent is never a key.
    @Test(arguments: FFDHEGroupTests.groups)
    func allZeroPrivateKeyIsRejected(_ groupCase: GroupCase) {
        let group = groupCase.group
        let zero = [UInt8](repeating: 0, count: groupCase.privateKeyByteCount)
        let validPublic = [UInt8](repeating: 0, count: groupCase.byteCount - 1) + [2]
        #expect(throws: CryptoError.self) { try group.publicKey(privateKey: zero) }
        #expect(throws: CryptoError.self) { try group.sharedSecret(privateKey: zero, publicKey: validPublic) }
    }

    /// Random key pairs agree, in every group.
    @Test(arguments: FFDHEGroupTests.groups)
    func randomKeyPairsAgree(_ groupCase: GroupCase) throws {
        let group = groupCase.group
        let a = Self.randomPrivateKey(groupCase.privateKeyByteCount)
        let b = Self.randomPrivateKey(groupCase.privateKeyByteCount)
        let publicA = try group.publicKey(privateKey: a)
        let publicB = try group.publicKey(privateKey: b)
        let fromA = try group.sharedSecret(privateKey: a, publicKey: publicB)
        let fromB = try group.sharedSecret(privateKey: b, publicKey: publicA)
        #expect(fromA == fromB)
        #expect(fromA.count == groupCase.byteCount)
    }

    // MARK: Helpers

    /// A random nonzero private key of the given length.
    static func randomPrivateKey(_ count: Int) -> [UInt8] {
        var key = (0..<count).map { _ in UInt8.random(in: 0...255) }
        key[0] |= 0x01
        return key
    }

    /// Big-endian value minus one (the input must be nonzero).
    static func decremented(_ value: [UInt8]) -> [UInt8] {
        var result = value
        var index = result.count - 1
        while result[index] == 0 {
            result[index] = 0xff
            index -= 1
        }
        result[index] -= 1
        return result
    }

    /// Big-endian value plus one, same width (the input must not be all 0xff).
    static func incremented(_ value: [UInt8]) -> [UInt8] {
        var result = value
        var index = result.count - 1
        while result[index] == 0xff {
            result[index] = 0
            index -= 1
        }
        result[index] += 1
        return result
    }
}
